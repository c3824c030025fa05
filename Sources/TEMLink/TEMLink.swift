// TEMLink: reaching a meter line — the `Link` protocol with its TCP and termios serial links
// (DescriptorLink.swift holds what they share), and the exchange written once against it
// (MeterClient.swift: send, read, resync, validate, retry; `read(_:address:)` executes a read
// plan), with typed errors naming the meter, command and endpoint, and the frame trace.
//
// It must not import the simulator (`sim://` is opened by the executable's LinkOpener),
// libmodbus, the mapping or the bridge. POSIX details come from Platform.
