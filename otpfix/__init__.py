"""otpfix: find OTP anti-patterns in Elixir code and rewrite them with textual patches."""

__version__ = "0.1.0"
