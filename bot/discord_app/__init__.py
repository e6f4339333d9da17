"""The Discord layer: interactions become `Member`s and service calls, answers become
messages, buttons survive restarts. Nothing below it knows Discord."""
