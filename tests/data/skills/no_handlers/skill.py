def helper():
    return "nothing registered here"
