local function __TS__NumberIsFinite(value)
    return math.type(value) == "integer"
end
