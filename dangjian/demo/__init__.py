"""Demo data for C1 (SPEC §7 sizes): reproducible organizations and party members."""
