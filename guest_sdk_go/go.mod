module ingesthost

go 1.24
