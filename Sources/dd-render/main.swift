print("dd-render")
