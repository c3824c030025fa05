import Glibc

/// The process's limit on open descriptors (RLIMIT_NOFILE).
public enum DescriptorLimit {
    /// Raises the soft limit to the hard one (a gateway with thousands of meter lines and
    /// clients needs a descriptor each; systemd's default soft limit is 1024, its hard limit
    /// 524288). Returns the soft limit in force afterwards; on failure the old one stays.
    @discardableResult
    public static func raiseToHard() -> UInt64 {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { return UInt64(raised.rlim_cur) }
        }
        return UInt64(limit.rlim_cur)
    }
}
