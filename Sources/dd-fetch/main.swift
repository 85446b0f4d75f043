print("dd-fetch")
