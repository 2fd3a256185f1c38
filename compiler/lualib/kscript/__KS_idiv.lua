local function __KS_idiv(a, b)
    return a // b
end
