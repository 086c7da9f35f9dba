"""The demo facility: fictional organisations, calls, proposals, reviews and grants loaded by `flask seed-demo`."""
