defmodule Golden.BroadCatch.NestedTry do
  def both(a, b) do
    try do
      first =
        try do
          GenServer.call(a, :get)
        catch
          _, _ -> nil
        end

      {first, GenServer.call(b, :get)}
    catch
      _, _ -> :error
    end
  end
end
