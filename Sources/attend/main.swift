print("attend")
