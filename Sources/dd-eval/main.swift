print("dd-eval")
