"""The product catalog: the products partners work on and customers use; plans join it later."""
