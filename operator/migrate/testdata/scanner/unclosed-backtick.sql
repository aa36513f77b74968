SELECT `abc;
