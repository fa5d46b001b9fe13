"""Built-in connectors. Each imports only ``canonry.sdk``: that is the promise to authors."""
