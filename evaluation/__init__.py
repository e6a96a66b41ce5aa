"""Scripts that measure the stages on the real clips in ../shared/media."""
