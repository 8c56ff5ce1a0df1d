"""Neural architecture search for tabular networks (contract 10); torch is the [nas] extra."""
