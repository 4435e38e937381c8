"""Project number and date formats (FORMAT_MODULE_PATH), where Django's locale defaults do not fit."""
