def cases_changed(changes):  # placeholder until the suggestions land
    return None
