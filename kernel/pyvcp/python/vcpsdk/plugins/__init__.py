"""VCP SDK plugins; ocs has none that reach a cloud."""
