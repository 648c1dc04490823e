// Placeholder until the spec script runner lands.
