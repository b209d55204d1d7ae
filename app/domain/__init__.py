"""Pure rules and arithmetic: plain values in, plain values out; no HTTP, no SQL."""
