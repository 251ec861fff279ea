"""What people read: the read model shared by the terminal, the plot and the report, and their renderers."""
