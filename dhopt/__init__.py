"""dhopt: plan how a data-center campus feeds its waste heat into a district-heating network."""

__version__ = "0.1.0"
