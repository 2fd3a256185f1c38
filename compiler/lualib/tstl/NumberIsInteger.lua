local function __TS__NumberIsInteger(value)
    return math.type(value) == "integer"
end
