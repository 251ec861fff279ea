module example.com/chapters

go 1.19
