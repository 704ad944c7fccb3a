defmodule Golden.NarrowRescue.Quoted do
  defmacro safe_fetch(map, key) do
    quote do
      try do
        Map.fetch!(unquote(map), unquote(key))
      rescue
        _ -> nil
      end
    end
  end
end
