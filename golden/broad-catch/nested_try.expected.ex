defmodule Golden.BroadCatch.NestedTry do
  def both(a, b) do
    try do
      first =
        try do
          GenServer.call(a, :get)
        catch
          :exit, _ -> nil
        end

      {first, GenServer.call(b, :get)}
    catch
      :exit, _ -> :error
    end
  end
end
