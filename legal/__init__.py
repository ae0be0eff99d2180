"""The legal-basis register: instruments, the force's documents and their versions, use cases."""
