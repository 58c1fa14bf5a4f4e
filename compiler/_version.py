"""The compiler's version: part of every checksum, so a compiler change means a new build."""

COMPILER_VERSION = "0.2.0"
