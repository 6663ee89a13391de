// Placeholder; replaced by the ArgumentParser root command.
print("mynaface")
