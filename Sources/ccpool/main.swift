print("ccpool")
