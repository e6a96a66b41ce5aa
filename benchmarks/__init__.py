"""Speed and memory figures, printed beside a baseline from the same run; never judged."""
