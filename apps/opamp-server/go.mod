module github.com/tinyolly/tinyolly/apps/opamp-server

go 1.19
