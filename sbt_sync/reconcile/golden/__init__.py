"""The golden dataset: cases built from linked records, their fields, conflicts and status."""
