print("dd-expert")
