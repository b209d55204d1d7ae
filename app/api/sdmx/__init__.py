"""SDMX 2.1 (https://sdmx.org): the figures as the dataflow `COMPLETIONS`."""
