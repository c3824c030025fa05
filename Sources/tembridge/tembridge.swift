// tembridge: the executable — one thin command per file under Commands/ (parse with
// swift-argument-parser, call the libraries, print), the error and log set-up
// (TEMBridgeCommand.swift), and the composition the libraries must not do themselves:
// LinkOpener.swift wires `sim://` to the simulator, MQTTLink.swift connects the bridge's meter
// events to the MQTT publisher.
//
// Nothing else may import this module.
