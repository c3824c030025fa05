// Bridge module.
