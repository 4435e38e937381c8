"""Demo and benchmark data: `sibao seed_demo` and `sibao demo_logins`."""
