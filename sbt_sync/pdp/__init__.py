"""Personal data protection (UU 27/2022): reads recorded, a person's own record, retention, the DPIA annex."""
