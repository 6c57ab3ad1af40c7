// The QUIC interop runner's rule: exit status 127 means "this case is not supported".
process.exit(127);
