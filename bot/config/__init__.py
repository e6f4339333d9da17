"""Configuration: the environment (secrets, endpoints, paths) and the tunables (models,
limits, rates, timings) with the checks that refuse a bad value by name."""
