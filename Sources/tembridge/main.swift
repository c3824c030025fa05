print("tembridge")
