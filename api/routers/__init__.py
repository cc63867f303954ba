"""One router per audience; each declares its access rule once."""
