def load_group_vars(name):
    pass
