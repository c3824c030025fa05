// ModbusServer module.
