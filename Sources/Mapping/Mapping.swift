// Mapping module.
