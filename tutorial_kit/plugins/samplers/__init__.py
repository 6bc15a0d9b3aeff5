"""The independent sampler plugin and the random-number streams it seeds."""
