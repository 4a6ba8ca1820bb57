"""The few reaches into a framework's private names that nothing public serves, one module per
framework, each checking at import the releases it was written for."""
