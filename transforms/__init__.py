"""otpfix transforms: one module per rule. Installed as the package `otpfix.transforms`."""
