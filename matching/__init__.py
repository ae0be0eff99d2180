"""The bundled face-matching engine, locked to the register by the gate."""
